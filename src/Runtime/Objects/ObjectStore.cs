using System.Collections.Concurrent;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>
/// A silo's store of values too large to travel inline. Other nodes pull them from here directly.
/// Objects are freed when their owner frees them or their job ends. Thread-safe.
/// </summary>
internal sealed class ObjectStore
{
    private readonly ConcurrentDictionary<string, StoredObject> _objects = new(StringComparer.Ordinal);
    private long _bytes;

    public int Count => _objects.Count;

    public long Bytes => Interlocked.Read(ref _bytes);

    public void Put(string objectId, string jobId, Value value)
    {
        var stored = new StoredObject(jobId, value);
        if (_objects.TryAdd(objectId, stored))
        {
            Interlocked.Add(ref _bytes, value.Data.Length);
        }
    }

    public bool TryGet(string objectId, out Value value)
    {
        if (_objects.TryGetValue(objectId, out var stored))
        {
            value = stored.Value;
            return true;
        }

        value = null!;
        return false;
    }

    public void Free(string objectId)
    {
        if (_objects.TryRemove(objectId, out var stored))
        {
            Interlocked.Add(ref _bytes, -stored.Value.Data.Length);
        }
    }

    public void FreeJob(string jobId)
    {
        foreach (var (id, stored) in _objects)
        {
            if (stored.JobId == jobId)
            {
                Free(id);
            }
        }
    }

    private sealed record StoredObject(string JobId, Value Value);
}
