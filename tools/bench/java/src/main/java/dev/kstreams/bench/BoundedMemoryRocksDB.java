package dev.kstreams.bench;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Kafka Streams with its RocksDB memory bounded the way kstreams bounds its own: one block
 * cache shared by every store of the process, the memtables of all stores charged to it
 * through one write buffer manager, and every table's index and filter blocks held in it.
 * This is the recipe of Kafka Streams' memory-management documentation (the
 * "BoundedMemoryRocksDBConfig" example), sized by two settings of the application's
 * configuration, so that both systems can be compared at the same RocksDB budgets:
 *
 * <pre>
 *   --config rocksdb.config.setter=dev.kstreams.bench.BoundedMemoryRocksDB
 *   --config kstreams.bench.rocksdb.block.cache.bytes=N      (the cache, memtables included)
 *   --config kstreams.bench.rocksdb.write.buffer.bytes=M     (the memtables' share of it)
 * </pre>
 *
 * Kafka Streams passes every setting of the application, its own or not, to a config
 * setter. The first store opened sizes the shared cache and manager; a process of the
 * harness runs one application, so every store sees the same sizes.
 */
public final class BoundedMemoryRocksDB implements RocksDBConfigSetter {
    static final String CACHE_BYTES = "kstreams.bench.rocksdb.block.cache.bytes";
    static final String WRITE_BUFFER_BYTES = "kstreams.bench.rocksdb.write.buffer.bytes";

    // Shared by every store of the process and never closed: stores open and close with
    // tasks, and the cache must outlive all of them (as in Kafka Streams' example).
    private static Cache cache;
    private static WriteBufferManager writeBufferManager;

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        synchronized (BoundedMemoryRocksDB.class) {
            if (cache == null) {
                long cacheBytes = bytes(configs, CACHE_BYTES);
                long writeBufferBytes = bytes(configs, WRITE_BUFFER_BYTES);
                if (writeBufferBytes > cacheBytes) {
                    throw new IllegalArgumentException(WRITE_BUFFER_BYTES + " (" + writeBufferBytes
                        + ") is charged to the block cache and must not exceed " + CACHE_BYTES
                        + " (" + cacheBytes + ")");
                }
                // A tenth of the cache at high priority for index and filter blocks, as in
                // Kafka Streams' example, so data blocks cannot push them out.
                cache = new LRUCache(cacheBytes, -1, false, 0.1);
                writeBufferManager = new WriteBufferManager(writeBufferBytes, cache);
            }
        }
        table.setBlockCache(cache);
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setWriteBufferManager(writeBufferManager);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and the manager are the process's, not the store's: nothing to close.
    }

    private static long bytes(Map<String, Object> configs, String key) {
        Object value = configs.get(key);
        if (value == null) {
            throw new IllegalArgumentException(BoundedMemoryRocksDB.class.getName()
                + " needs " + key + " (bytes) in the application's configuration");
        }
        try {
            long n = Long.parseLong(value.toString().trim());
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a positive number of bytes, got '"
                + value + "'");
        }
    }
}
