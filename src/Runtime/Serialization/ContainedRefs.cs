using System.Text.Json.Nodes;
using Google.Protobuf;
using Granary.Runtime.Objects;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Serialization;

/// <summary>
/// The ObjectRefs one serialization wrote, collected as the JSON converter writes them, so the caller can
/// keep their entries alive with the value and finish the ones that were still pending. Collection is per
/// thread because System.Text.Json writes synchronously on the caller's thread. Not thread-safe itself.
/// </summary>
internal sealed class ContainedRefs
{
    [ThreadStatic]
    private static ContainedRefs? t_current;

    private readonly HashSet<ObjectEntry> _seen = new(ReferenceEqualityComparer.Instance);

    /// <summary>Every distinct entry written, in first-written order.</summary>
    public List<ObjectEntry> All { get; } = [];

    /// <summary>The entries that were not finished when written: their JSON has no state yet.</summary>
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

    /// <summary>Called by the converter for each ref it writes.</summary>
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
    /// finished since. The value itself is not serialized again: what the caller passed at that moment is
    /// what travels, as Ray's put copies at once.
    /// </summary>
    public static Value FillPending(Value value, IReadOnlyCollection<ObjectEntry> finished)
    {
        if (value.Format != ValueFormat.Json || finished.Count == 0)
        {
            return value;
        }

        var byId = new Dictionary<string, ObjectEntry>(StringComparer.Ordinal);
        foreach (var entry in finished)
        {
            byId[entry.Id] = entry;
        }

        var root = JsonNode.Parse(value.Data.Span);
        Fill(root, byId);
        var bytes = System.Text.Encoding.UTF8.GetBytes(root?.ToJsonString() ?? "null");
        return new Value { Format = value.Format, Serializer = value.Serializer, Data = UnsafeByteOperations.UnsafeWrap(bytes) };
    }

    private static void Fill(JsonNode? node, Dictionary<string, ObjectEntry> byId)
    {
        switch (node)
        {
            case JsonObject obj when ObjectRefJson.IsPendingRef(obj, out var id):
                if (byId.TryGetValue(id, out var entry))
                {
                    ObjectRefJson.AddState(obj, ObjectRegistry.Describe(entry));
                }

                break;
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    Fill(child, byId);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Fill(child, byId);
                }

                break;
        }
    }
}
