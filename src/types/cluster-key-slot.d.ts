// cluster-key-slot ships no types: the Redis Cluster hash slot (CRC16 of the hash tag) of a key.
declare module 'cluster-key-slot' {
  export default function calculateSlot(key: string | Buffer): number;
}
