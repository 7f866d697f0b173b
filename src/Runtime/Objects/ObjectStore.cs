using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>
/// A silo's store of values too large to travel inline; other nodes pull them from here directly. It holds
/// at most <see cref="CapacityBytes"/> in memory: when a put would go over, the least recently used objects
/// spill to files in the spill directory and come back transparently on the next get (an object larger
/// than the whole capacity goes straight to disk). Objects are freed when their owner frees them or their
/// job ends. A spill that cannot be written (disk full, no permission) fails the put with
/// <see cref="ObjectStoreFullException"/> naming the directory; nothing retries. Values are held as
/// <see cref="ValueBytes"/>, so one may be larger than a byte array (2 GiB). Thread-safe (one lock).
/// </summary>
internal sealed class ObjectStore : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _objects = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _recency = new();
    private long _memoryBytes;
    private long _spilledBytes;
    private long _freedBytes;
    private long _spills;

    public ObjectStore(long capacityBytes = long.MaxValue, string? spillDirectory = null)
    {
        CapacityBytes = capacityBytes;
        SpillDirectory = spillDirectory ?? Path.Combine(Path.GetTempPath(), "granary-spill-" + Guid.NewGuid().ToString("N")[..8]);
    }

    public long CapacityBytes { get; }

    public string SpillDirectory { get; }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _objects.Count;
            }
        }
    }

    /// <summary>Bytes held in memory.</summary>
    public long Bytes => Interlocked.Read(ref _memoryBytes);

    /// <summary>Bytes currently spilled to disk.</summary>
    public long SpilledBytes => Interlocked.Read(ref _spilledBytes);

    /// <summary>Objects spilled to disk since the store opened (each spill counts, also of an object spilled before).</summary>
    public long Spills => Interlocked.Read(ref _spills);

    /// <summary>Bytes of values freed from memory so far (not spills): what a returner of memory watches.</summary>
    public long FreedBytes => Interlocked.Read(ref _freedBytes);

    public void Put(string objectId, string jobId, Value value) => Put(objectId, jobId, ValueBytes.From(value));

    public void Put(string objectId, string jobId, ValueBytes value)
    {
        var size = value.Length;
        lock (_gate)
        {
            if (_objects.ContainsKey(objectId))
            {
                return;
            }

            var entry = new Entry(jobId, value.Format, value.Serializer);
            _objects[objectId] = entry;
            try
            {
                if (size > CapacityBytes)
                {
                    SpillLocked(objectId, entry, value);
                    return;
                }

                MakeRoomLocked(size);
            }
            catch (ObjectStoreFullException)
            {
                _objects.Remove(objectId);
                throw;
            }

            Admit(objectId, entry, value);
        }
    }

    /// <summary>The value as one wire value (at most 2 GiB); see <see cref="TryGetBytes"/>.</summary>
    public bool TryGet(string objectId, out Value value)
    {
        var found = TryGetBytes(objectId, out var bytes);
        value = found ? bytes.ToValue() : null!;
        return found;
    }

    public bool TryGetBytes(string objectId, out ValueBytes value)
    {
        lock (_gate)
        {
            if (!_objects.TryGetValue(objectId, out var entry))
            {
                value = null!;
                return false;
            }

            if (entry.Value is { } held)
            {
                _recency.Remove(entry.Node!);
                _recency.AddFirst(entry.Node!);
                value = held;
                return true;
            }

            value = Restore(entry);
            if (value.Length <= CapacityBytes)
            {
                try
                {
                    // Back in memory for the next reader; others may spill to make room.
                    MakeRoomLocked(value.Length);
                    DeleteSpill(entry);
                    Admit(objectId, entry, value);
                }
                catch (ObjectStoreFullException)
                {
                    // No room to take it back: it stays on disk and this read is served from there.
                }
            }

            return true;
        }
    }

    public void Free(string objectId)
    {
        lock (_gate)
        {
            if (_objects.Remove(objectId, out var entry))
            {
                Interlocked.Add(ref _freedBytes, entry.Value?.Length ?? 0);
                Evict(entry);
                DeleteSpill(entry);
            }
        }
    }

    public void FreeJob(string jobId)
    {
        lock (_gate)
        {
            foreach (var id in _objects.Where(o => o.Value.JobId == jobId).Select(o => o.Key).ToList())
            {
                Free(id);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var id in _objects.Keys.ToList())
            {
                Free(id);
            }
        }

        try
        {
            if (Directory.Exists(SpillDirectory) && !Directory.EnumerateFileSystemEntries(SpillDirectory).Any())
            {
                Directory.Delete(SpillDirectory);
            }
        }
        catch (IOException)
        {
            // Left for the OS to clean; it holds no objects.
        }
    }

    private void Admit(string objectId, Entry entry, ValueBytes value)
    {
        entry.Value = value;
        entry.Node = _recency.AddFirst(objectId);
        Interlocked.Add(ref _memoryBytes, value.Length);
    }

    private void Evict(Entry entry)
    {
        if (entry.Value is { } held)
        {
            Interlocked.Add(ref _memoryBytes, -held.Length);
            _recency.Remove(entry.Node!);
            entry.Value = null;
            entry.Node = null;
        }
    }

    /// <summary>Spills least recently used objects until <paramref name="incoming"/> more bytes fit.</summary>
    private void MakeRoomLocked(long incoming)
    {
        while (_memoryBytes + incoming > CapacityBytes && _recency.Last is { } oldest)
        {
            var entry = _objects[oldest.Value];
            var value = entry.Value!;
            Evict(entry);
            try
            {
                SpillLocked(oldest.Value, entry, value);
            }
            catch (ObjectStoreFullException)
            {
                // Keep what was stored; only the incoming object is refused.
                Admit(oldest.Value, entry, value);
                _recency.Remove(entry.Node!);
                entry.Node = _recency.AddLast(oldest.Value);
                throw;
            }
        }
    }

    private void SpillLocked(string objectId, Entry entry, ValueBytes value)
    {
        var path = Path.Combine(SpillDirectory, objectId + ".obj");
        try
        {
            Directory.CreateDirectory(SpillDirectory);
            using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                value.WriteTo(file);
            }

            entry.SpillPath = path;
            entry.SpilledSize = value.Length;
            Interlocked.Add(ref _spilledBytes, value.Length);
            Interlocked.Increment(ref _spills);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(path);
            throw new ObjectStoreFullException(
                $"The object store is full ({Bytes} of {CapacityBytes} bytes in memory) and spilling object {objectId} ({value.Length} bytes) to '{SpillDirectory}' failed: {ex.Message} Free disk space there, point GranarySiloOptions.SpillDirectory elsewhere, or raise ObjectStoreCapacityBytes.", ex);
        }
    }

    private static ValueBytes Restore(Entry entry)
    {
        using var file = new FileStream(entry.SpillPath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var segments = new List<ReadOnlyMemory<byte>>();
        foreach (var size in ValueBytes.SegmentSizes(file.Length))
        {
            var segment = GC.AllocateUninitializedArray<byte>(size);
            file.ReadExactly(segment);
            segments.Add(segment);
        }

        return new ValueBytes(entry.Format, entry.Serializer, segments);
    }

    private void DeleteSpill(Entry entry)
    {
        if (entry.SpillPath is { } path)
        {
            TryDelete(path);
            Interlocked.Add(ref _spilledBytes, -entry.SpilledSize);
            entry.SpillPath = null;
            entry.SpilledSize = 0;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The file goes when its directory is cleaned; the object is already gone from the store.
        }
    }

    private sealed class Entry(string jobId, ValueFormat format, string serializer)
    {
        public string JobId { get; } = jobId;

        public ValueFormat Format { get; } = format;

        public string Serializer { get; } = serializer;

        public ValueBytes? Value { get; set; }

        public LinkedListNode<string>? Node { get; set; }

        public string? SpillPath { get; set; }

        public long SpilledSize { get; set; }
    }
}
