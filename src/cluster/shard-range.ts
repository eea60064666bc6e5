// Which shards (and which cluster ids) one pod of the cluster StatefulSet runs. Shards are cut into
// clusters of SHARDS_PER_CLUSTER in order (cluster c holds shards c*spc .. c*spc+spc-1, the same chunking
// discord-hybrid-sharding does for one manager), and the clusters into PODS contiguous groups of
// CLUSTERS_PER_POD. Cluster ids are global, so cluster 0 (the one that registers slash commands) exists
// exactly once in the whole deployment and logs/metrics name the same cluster on every pod.
//
// Identify rate limits: shards in the same bucket (shard % max_concurrency) may not identify within 5 s of
// each other. Inside a pod the ClusterManager's spawn queue spaces them; across pods the StatefulSet's
// OrderedReady policy starts pod N+1 only once pod N is ready (every cluster identified), see k8s/.

import { totalClusters } from '../config.js';

export interface ShardLayout {
  totalShards: number;
  shardsPerCluster: number;
  /** Replicas of the StatefulSet. */
  pods: number;
  /** Clusters per pod; default: the clusters spread as evenly as contiguous groups allow (ceil). */
  clustersPerPod?: number;
}

export interface PodShards {
  podIndex: number;
  /** Global ids of this pod's clusters, ascending and contiguous. */
  clusterIds: number[];
  /** This pod's shards, ascending and contiguous; clusterIds[i] runs shardsPerCluster of them in order. */
  shards: number[];
}

export class ShardLayoutError extends Error {
  override name = 'ShardLayoutError';
}

export { totalClusters };

/** Problems with a layout (empty when every shard is owned by exactly one pod and no pod is idle). */
export function layoutProblems(l: ShardLayout): string[] {
  const problems: string[] = [];
  for (const [name, v] of Object.entries({ totalShards: l.totalShards, shardsPerCluster: l.shardsPerCluster, pods: l.pods })) {
    if (!Number.isInteger(v) || v < 1) problems.push(`${name} must be a positive whole number, got ${v}`);
  }
  if (l.clustersPerPod !== undefined && (!Number.isInteger(l.clustersPerPod) || l.clustersPerPod < 1)) {
    problems.push(`clustersPerPod must be a positive whole number, got ${l.clustersPerPod}`);
  }
  if (problems.length > 0) return problems;
  const clusters = totalClusters(l);
  const perPod = l.clustersPerPod ?? Math.ceil(clusters / l.pods);
  if (perPod * l.pods < clusters) {
    problems.push(`${l.pods} pods × ${perPod} clusters per pod cannot hold ${clusters} clusters (${l.totalShards} shards / ${l.shardsPerCluster} per cluster)`);
  } else if (perPod * (l.pods - 1) >= clusters) {
    // The last pod would run nothing: it would pass readiness while doing no work, so refuse the layout.
    problems.push(`${l.pods} pods × ${perPod} clusters per pod leaves the last pod without shards (${clusters} clusters): use fewer pods`);
  }
  return problems;
}

/** The shards and cluster ids of pod `podIndex`; throws ShardLayoutError on a layout that loses or idles shards. */
export function podShards(l: ShardLayout, podIndex: number): PodShards {
  const problems = layoutProblems(l);
  if (!Number.isInteger(podIndex) || podIndex < 0 || podIndex >= l.pods) {
    problems.push(`pod index must be between 0 and ${l.pods - 1}, got ${podIndex}`);
  }
  if (problems.length > 0) throw new ShardLayoutError(problems.join('; '));
  const clusters = totalClusters(l);
  const perPod = l.clustersPerPod ?? Math.ceil(clusters / l.pods);
  const firstCluster = podIndex * perPod;
  const endCluster = Math.min(firstCluster + perPod, clusters);
  const clusterIds = range(firstCluster, endCluster);
  const shards = range(firstCluster * l.shardsPerCluster, Math.min(endCluster * l.shardsPerCluster, l.totalShards));
  return { podIndex, clusterIds, shards };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
