using Granary.Runtime.Code;
using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>
/// One job's objects in a process that runs its tasks (a silo or a worker process): refs read out of the
/// job's values resolve here (borrowed: the owner frees them), and objects the job's tasks put are owned
/// here until a task returns them, when <see cref="HandOver"/> passes them to the caller. Thread-safe.
/// </summary>
internal sealed class JobObjects : ITaskObjects
{
    private readonly IExecutionHost _host;
    private readonly JobCode _code;

    public JobObjects(IExecutionHost host, JobCode code)
    {
        _host = host;
        _code = code;
        OwnerId = code.JobId + "@" + host.NodeId;
        Registry = new ObjectRegistry(this);
    }

    public string OwnerId { get; }

    public string JobId => _code.JobId;

    public IClusterAccess? Cluster => _host.Clients;

    // The job's serializer is replaced when its manifest brings custom serializers; always use the current one.
    public ValueSerializer Serializer => _code.Serializer;

    public ObjectRegistry Registry { get; }

    public ValueTask<Value> FetchAsync(ObjectLocation location, CancellationToken cancellationToken) =>
        _host.FetchObjectAsync(location, cancellationToken);

    public ValueTask<object?> FetchObjectAsync(ObjectLocation location, Type type, CancellationToken cancellationToken) =>
        _host.FetchArgumentAsync(location, type, Serializer, cancellationToken);

    public void Release(ObjectLocation location) => _host.FreeObject(location);

    public ObjectEntry Put(object? value, Type declaredType)
    {
        var data = Serializer.Serialize(value, declaredType, out var contained);
        var entry = new ObjectEntry("o-" + Guid.NewGuid().ToString("N"), this) { Contained = contained?.All };
        if (contained?.Pending is { } pending)
        {
            // The value holds refs to tasks submitted from here that still run: it is stored once they finish.
            _ = StoreWhenFinishedAsync(entry, data, pending);
        }
        else
        {
            Store(entry, data);
        }

        return Registry.Register(entry);
    }

    private void Store(ObjectEntry entry, Value data)
    {
        if (data.Data.Length <= _host.InlineThresholdBytes)
        {
            entry.TrySetValue(data);
        }
        else
        {
            entry.TrySetLocation(_host.StoreObject(entry.Id, _code.JobId, data));
        }
    }

    private async Task StoreWhenFinishedAsync(ObjectEntry entry, Value data, List<ObjectEntry> pending)
    {
        try
        {
            foreach (var inner in pending)
            {
                await inner.Completion.ConfigureAwait(false);
            }

            Store(entry, ContainedRefs.FillPending(data, pending));
        }
        catch (Exception ex)
        {
            // Never leave the ref pending forever: whoever awaits it gets the reason.
            var error = new GranaryException($"Storing object {entry.Id} after the refs inside it finished failed: {ex.Message}", ex);
            entry.TrySetError(error, ErrorConverter.FromException(error, _host.NodeId, "Put"));
        }
    }

    /// <summary>
    /// Describes the refs a task's result holds for its reply. Objects put here are handed over to the
    /// caller, with the refs their own values hold: from now on the caller frees them, so their entries here
    /// must not. Refs borrowed from elsewhere are named by id only; their owner already has them.
    /// </summary>
    public List<NestedRef> HandOver(IReadOnlyList<ObjectEntry> contained) => [.. contained.Select(Describe)];

    private NestedRef Describe(ObjectEntry entry)
    {
        if (!ReferenceEquals(entry.Owner, this) || entry.Borrowed)
        {
            return new NestedRef { ObjectId = entry.Id, Owner = entry.OwnerId };
        }

        var reference = ObjectRegistry.Describe(entry);
        reference.HandedOver = true;
        entry.HandOver();
        foreach (var inner in entry.Contained ?? [])
        {
            reference.Contained.Add(Describe(inner));
        }

        return reference;
    }
}
