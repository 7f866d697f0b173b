using System.Collections.Concurrent;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>
/// The live object entries of one owner, by id, held weakly. A ref read out of a value (a list of refs
/// coming back from a task or a store) resolves through here to the entry this process already has, so
/// the value, the waiting and the lifetime are shared instead of duplicated. Entries are registered when
/// they are first written into a value or read out of one; dead ones are swept out as the table grows.
/// Thread-safe.
/// </summary>
internal sealed class ObjectRegistry(IObjectOwner owner)
{
    private readonly ConcurrentDictionary<string, WeakReference<ObjectEntry>> _entries = new(StringComparer.Ordinal);
    private int _addsSinceSweep;

    /// <summary>Ids registered, live or not yet swept.</summary>
    public int Count => _entries.Count;

    public bool TryGet(string id, out ObjectEntry entry)
    {
        if (_entries.TryGetValue(id, out var weak) && weak.TryGetTarget(out var found))
        {
            entry = found;
            return true;
        }

        entry = null!;
        return false;
    }

    /// <summary>Registers the entry unless a live one with its id is there; returns the one that is registered.</summary>
    public ObjectEntry Register(ObjectEntry entry)
    {
        while (true)
        {
            if (_entries.TryGetValue(entry.Id, out var weak))
            {
                if (weak.TryGetTarget(out var existing))
                {
                    return existing;
                }

                if (_entries.TryUpdate(entry.Id, new WeakReference<ObjectEntry>(entry), weak))
                {
                    return entry;
                }

                continue;
            }

            if (_entries.TryAdd(entry.Id, new WeakReference<ObjectEntry>(entry)))
            {
                SweepIfGrown();
                return entry;
            }
        }
    }

    /// <summary>
    /// The entry for a ref read out of a value: the live one if this process has it, else a borrowed entry
    /// completed from what the ref carried (its inline value, its location or its failure).
    /// </summary>
    public ObjectEntry Resolve(NestedRef reference)
    {
        if (TryGet(reference.ObjectId, out var live))
        {
            return live;
        }

        var entry = new ObjectEntry(reference.ObjectId, owner, reference.Owner, borrowed: true);
        Complete(entry, reference);
        return Register(entry);
    }

    /// <summary>
    /// The entries for the refs a task's result holds, for the result's entry to keep. Refs this process
    /// already has resolve to their live entries; refs the task's node handed over become owned here (freed
    /// when collected), with the refs their own values hold. Refs neither live here nor handed over need no
    /// entry yet: reading the value creates borrowed ones.
    /// </summary>
    public List<ObjectEntry> Adopt(IEnumerable<NestedRef> references)
    {
        var adopted = new List<ObjectEntry>();
        foreach (var reference in references)
        {
            if (Adopt(reference) is { } entry)
            {
                adopted.Add(entry);
            }
        }

        return adopted;
    }

    /// <summary>The wire description of a ref, with its state when it is finished.</summary>
    public static NestedRef Describe(ObjectEntry entry)
    {
        var reference = new NestedRef { ObjectId = entry.Id, Owner = entry.OwnerId };
        if (!entry.IsCompleted)
        {
            return reference;
        }

        if (entry.Error is not null)
        {
            reference.Error = entry.ErrorInfo;
        }
        else if (entry.Inline is not null)
        {
            reference.Value = entry.Inline;
        }
        else
        {
            reference.Location = entry.Location;
        }

        return reference;
    }

    private ObjectEntry? Adopt(NestedRef reference)
    {
        if (TryGet(reference.ObjectId, out var live))
        {
            return live;
        }

        if (!reference.HandedOver)
        {
            return null;
        }

        var entry = new ObjectEntry(reference.ObjectId, owner);
        if (reference.Contained.Count > 0)
        {
            entry.Contained = Adopt(reference.Contained);
        }

        Complete(entry, reference);
        return Register(entry);
    }

    private static void Complete(ObjectEntry entry, NestedRef reference)
    {
        switch (reference.StateCase)
        {
            case NestedRef.StateOneofCase.Value:
                entry.TrySetValue(reference.Value);
                break;
            case NestedRef.StateOneofCase.Location:
                entry.TrySetLocation(reference.Location);
                break;
            case NestedRef.StateOneofCase.Error:
                entry.TrySetError(ErrorConverter.ToException(reference.Error), reference.Error);
                break;
            default:
                // Owners finish their refs before a value holding them leaves the process, so this is a bug
                // or a value written by hand; say what to do instead of hanging.
                var error = new GranaryException(
                    $"ObjectRef {reference.ObjectId} was not finished when the value holding it was written, so its result did not travel with it. Await the ref before putting it inside another value.");
                entry.TrySetError(error, ErrorConverter.FromException(error, string.Empty, "ObjectRef"));
                break;
        }
    }

    private void SweepIfGrown()
    {
        // Amortized: sweep once the adds since the last sweep outnumber what the table held then.
        if (Interlocked.Increment(ref _addsSinceSweep) < Math.Max(1024, _entries.Count / 2))
        {
            return;
        }

        Interlocked.Exchange(ref _addsSinceSweep, 0);
        foreach (var pair in _entries)
        {
            if (!pair.Value.TryGetTarget(out _))
            {
                _entries.TryRemove(pair);
            }
        }
    }
}
