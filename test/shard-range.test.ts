import { describe, expect, it } from 'vitest';
import { layoutProblems, podShards, ShardLayoutError, totalClusters, type ShardLayout } from '../src/cluster/shard-range.js';

const LAYOUTS: ShardLayout[] = [
  { totalShards: 1, shardsPerCluster: 2, pods: 1 },
  { totalShards: 16, shardsPerCluster: 4, pods: 4 },
  { totalShards: 17, shardsPerCluster: 4, pods: 3 },
  { totalShards: 100, shardsPerCluster: 8, pods: 5 },
  { totalShards: 96, shardsPerCluster: 16, pods: 3, clustersPerPod: 2 },
  { totalShards: 1024, shardsPerCluster: 16, pods: 7 },
  { totalShards: 10, shardsPerCluster: 1, pods: 10 },
  { totalShards: 64, shardsPerCluster: 4, pods: 2, clustersPerPod: 8 },
];

describe('podShards', () => {
  for (const layout of LAYOUTS) {
    it(`every shard exactly once, contiguous per pod: ${JSON.stringify(layout)}`, () => {
      const pods = Array.from({ length: layout.pods }, (_, i) => podShards(layout, i));
      const owners = new Map<number, number>();
      let next = 0;
      let nextCluster = 0;
      for (const pod of pods) {
        expect(pod.shards.length).toBeGreaterThan(0);
        // Contiguous and continuing where the previous pod stopped: ranges are disjoint and ordered.
        expect(pod.shards).toEqual(Array.from({ length: pod.shards.length }, (_, i) => next + i));
        expect(pod.clusterIds).toEqual(Array.from({ length: pod.clusterIds.length }, (_, i) => nextCluster + i));
        next += pod.shards.length;
        nextCluster += pod.clusterIds.length;
        for (const s of pod.shards) {
          expect(owners.has(s)).toBe(false);
          owners.set(s, pod.podIndex);
        }
        // The manager chunks the pod's list by shardsPerCluster: each chunk must be the global cluster's shards.
        pod.clusterIds.forEach((c, i) => {
          const chunk = pod.shards.slice(i * layout.shardsPerCluster, (i + 1) * layout.shardsPerCluster);
          expect(chunk[0]).toBe(c * layout.shardsPerCluster);
          expect(chunk.every((s) => Math.floor(s / layout.shardsPerCluster) === c)).toBe(true);
        });
        expect(Math.ceil(pod.shards.length / layout.shardsPerCluster)).toBe(pod.clusterIds.length);
      }
      expect(owners.size).toBe(layout.totalShards);
      expect(next).toBe(layout.totalShards);
      expect(nextCluster).toBe(totalClusters(layout));
      // Cluster 0 (registers commands) is on pod 0 and nowhere else.
      expect(pods.filter((p) => p.clusterIds.includes(0)).map((p) => p.podIndex)).toEqual([0]);
    });
  }

  it('spreads clusters evenly by default', () => {
    const l = { totalShards: 100, shardsPerCluster: 8, pods: 5 }; // 13 clusters → 3,3,3,3,1
    expect([0, 1, 2, 3, 4].map((i) => podShards(l, i).clusterIds.length)).toEqual([3, 3, 3, 3, 1]);
    expect(podShards(l, 4).shards).toEqual([96, 97, 98, 99]);
    expect(podShards(l, 1)).toEqual({ podIndex: 1, clusterIds: [3, 4, 5], shards: Array.from({ length: 24 }, (_, i) => 24 + i) });
  });

  it('refuses layouts that lose shards or idle a pod, and bad pod indexes', () => {
    expect(layoutProblems({ totalShards: 64, shardsPerCluster: 4, pods: 2, clustersPerPod: 4 })[0]).toMatch(/cannot hold 16 clusters/);
    expect(layoutProblems({ totalShards: 8, shardsPerCluster: 4, pods: 3 })[0]).toMatch(/last pod without shards/);
    expect(layoutProblems({ totalShards: 0, shardsPerCluster: 4, pods: 1 })[0]).toMatch(/totalShards/);
    expect(layoutProblems({ totalShards: 8, shardsPerCluster: 4, pods: 1, clustersPerPod: 0 })[0]).toMatch(/clustersPerPod/);
    expect(() => podShards({ totalShards: 8, shardsPerCluster: 4, pods: 2 }, 2)).toThrow(ShardLayoutError);
    expect(() => podShards({ totalShards: 8, shardsPerCluster: 4, pods: 2 }, -1)).toThrow(/pod index/);
    expect(() => podShards({ totalShards: 8, shardsPerCluster: 4, pods: 2 }, 1.5)).toThrow(/pod index/);
  });
});
