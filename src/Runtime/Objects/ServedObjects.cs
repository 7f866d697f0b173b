using System.Collections.Concurrent;

namespace Granary.Runtime.Objects;

/// <summary>
/// Objects a node is sending in chunks right now, held from the first request to the last chunk. A
/// spilled object is read back from disk once per transfer, not once per chunk, and a chunk read never
/// waits on the store's lock. Entries left by an asker that gave up are dropped after a while. Thread-safe.
/// </summary>
internal sealed class ServedObjects
{
    private static readonly long Stale = (long)TimeSpan.FromMinutes(2).TotalMilliseconds;
    private readonly ConcurrentDictionary<string, (ValueBytes Value, long Since)> _serving = new(StringComparer.Ordinal);

    public void Add(string objectId, ValueBytes value)
    {
        var now = Environment.TickCount64;
        foreach (var (id, entry) in _serving)
        {
            if (now - entry.Since > Stale)
            {
                _serving.TryRemove(id, out _);
            }
        }

        _serving[objectId] = (value, now);
    }

    /// <summary>The object being served, if it is; the read that reaches its end lets go of it.</summary>
    public bool TryGet(string objectId, long end, out ValueBytes value)
    {
        if (!_serving.TryGetValue(objectId, out var entry))
        {
            value = null!;
            return false;
        }

        value = entry.Value;
        if (end >= value.Length)
        {
            _serving.TryRemove(objectId, out _);
        }

        return true;
    }

    /// <summary>A freed object is not served any more.</summary>
    public void Remove(string objectId) => _serving.TryRemove(objectId, out _);
}
