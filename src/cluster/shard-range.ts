// Which shards (and which cluster ids) one pod of the cluster StatefulSet runs. Shards are cut into
// clusters of SHARDS_PER_CLUSTER in order (cluster c holds shards c*spc .. c*spc+spc-1, the same chunking
// discord-hybrid-sharding does for one manager), and the clusters into PODS contiguous groups of
// CLUSTERS_PER_POD. Cluster ids are global, so cluster 0 (the one that registers slash commands) exists
// exactly once in the whole deployment and logs/metrics name the same cluster on every pod.
//
// Identify rate limits: shards in the same bucket (shard % max_concurrency) may not identify within 5 s of
// each other. Inside a pod the ClusterManager's spawn queue spaces them; across pods the StatefulSet's
// OrderedReady policy starts pod N+1 only once pod N is ready (every cluster identified), see k8s/.

import { layoutProblems, totalClusters, type ShardLayout } from '../shard-layout.js';

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

export { layoutProblems, totalClusters, type ShardLayout };

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
