using Granary.Runtime.Objects;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Serialization;

/// <summary>
/// The ObjectRefs one serialization wrote, collected as <see cref="ObjectRefFormatter{TRef, T}"/> writes them, so
/// the caller can keep their entries alive with the value and finish the ones that were still pending.
/// Collection is per thread because MessagePack writes synchronously on the caller's thread. Not thread-safe
/// itself.
/// </summary>
internal sealed class ContainedRefs
{
    [ThreadStatic]
    private static ContainedRefs? t_current;

    private readonly HashSet<ObjectEntry> _seen = new(ReferenceEqualityComparer.Instance);

    /// <summary>Every distinct entry written, in first-written order.</summary>
    public List<ObjectEntry> All { get; } = [];

    /// <summary>The entries that were not finished when written: their bytes have no state yet.</summary>
    public List<ObjectEntry>? Pending { get; private set; }

    /// <summary>Starts collecting on this thread; returns what was being collected before, for <see cref="End"/>.</summary>
    public static ContainedRefs? Begin()
    {
        var outer = t_current;
        t_current = null;
        return outer;
    }

    /// <summary>Stops collecting; returns what was collected since <see cref="Begin"/> (null when no ref was written).</summary>
    public static ContainedRefs? End(ContainedRefs? outer)
    {
        var collected = t_current;
        t_current = outer;
        return collected;
    }

    /// <summary>Called by the formatter for each ref it writes.</summary>
    public static void Record(ObjectEntry entry, bool pending)
    {
        var current = t_current ??= new ContainedRefs();
        if (current._seen.Add(entry))
        {
            current.All.Add(entry);
            if (pending)
            {
                (current.Pending ??= []).Add(entry);
            }
        }
    }

    /// <summary>
    /// Fills in the state of refs that were pending when <paramref name="value"/> was written and have
    /// finished since, by copying its bytes with those refs' states added. The value itself is not
    /// serialized again: what the caller passed at that moment is what travels, as Ray's put copies at once.
    /// </summary>
    public static Value FillPending(Value value, IReadOnlyCollection<ObjectEntry> finished)
    {
        if (value.Format != ValueFormat.MessagePack || finished.Count == 0)
        {
            return value;
        }

        var byId = new Dictionary<string, ObjectEntry>(StringComparer.Ordinal);
        foreach (var entry in finished)
        {
            byId[entry.Id] = entry;
        }

        return new Value { Format = value.Format, Serializer = value.Serializer, Data = ObjectRefExtension.FillPending(value.Data.Memory, byId) };
    }
}
