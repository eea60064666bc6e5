// The deployment's shard layout rules, shared by the configuration check (config.ts) and the pods'
// shard ranges (cluster/shard-range.ts): shards cut into clusters of SHARDS_PER_CLUSTER, the clusters
// into PODS contiguous groups of CLUSTERS_PER_POD.

export interface ShardLayout {
  totalShards: number;
  shardsPerCluster: number;
  /** Replicas of the StatefulSet. */
  pods: number;
  /** Clusters per pod; default: the clusters spread as evenly as contiguous groups allow (ceil). */
  clustersPerPod?: number;
}

/** Cluster processes of the whole deployment (every pod): shards cut into clusters of shardsPerCluster. */
export function totalClusters(c: Pick<ShardLayout, 'totalShards' | 'shardsPerCluster'>): number {
  return Math.ceil(c.totalShards / c.shardsPerCluster);
}

/** Problems with a layout (empty when every shard is owned by exactly one pod and no pod is idle). */
export function layoutProblems(l: ShardLayout): string[] {
  const problems: string[] = [];
  for (const [name, v] of Object.entries({
    totalShards: l.totalShards,
    shardsPerCluster: l.shardsPerCluster,
    pods: l.pods,
  })) {
    if (!Number.isInteger(v) || v < 1) problems.push(`${name} must be a positive whole number, got ${v}`);
  }
  if (l.clustersPerPod !== undefined && (!Number.isInteger(l.clustersPerPod) || l.clustersPerPod < 1)) {
    problems.push(`clustersPerPod must be a positive whole number, got ${l.clustersPerPod}`);
  }
  if (problems.length > 0) return problems;
  const clusters = totalClusters(l);
  const perPod = l.clustersPerPod ?? Math.ceil(clusters / l.pods);
  if (perPod * l.pods < clusters) {
    problems.push(
      `${l.pods} pods × ${perPod} clusters per pod cannot hold ${clusters} clusters (${l.totalShards} shards / ${l.shardsPerCluster} per cluster)`,
    );
  } else if (perPod * (l.pods - 1) >= clusters) {
    // The last pod would run nothing: it would pass readiness while doing no work, so refuse the layout.
    problems.push(
      `${l.pods} pods × ${perPod} clusters per pod leaves the last pod without shards (${clusters} clusters): use fewer pods`,
    );
  }
  return problems;
}
