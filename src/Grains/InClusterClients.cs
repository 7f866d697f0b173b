using System.Collections.Concurrent;
using Granary.Runtime.Objects;
using Orleans;

namespace Granary.Grains;

/// <summary>
/// The in-cluster Granary clients of one process (a silo or a worker process), one per job, made the first
/// time one of the job's tasks or actor calls asks for <c>TaskContext.Client</c> and disposed when the job
/// ends here. Each is built over this process's own Orleans client, so nested work takes no new connection.
/// Thread-safe.
/// </summary>
internal sealed class InClusterClients(string nodeId, Func<IClusterClient> orleans, JobCodeRegistry jobs) : IClusterAccess, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<IAsyncDisposable>> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _ended = new(StringComparer.Ordinal);

    public string NodeId => nodeId;

    public IClusterClient Orleans => orleans();

    /// <summary>Jobs with a client here now (tests).</summary>
    public int Count => _clients.Count;

    public int ManifestVersion(string jobId) => jobs.ManifestVersion(jobId);

    public T ClientFor<T>(string jobId, Func<T> create)
        where T : class, IAsyncDisposable
    {
        if (_ended.ContainsKey(jobId))
        {
            throw new GranaryException($"Job {jobId} has ended on node {nodeId}; its tasks can no longer submit work here.");
        }

        // Lazy: two tasks asking at once get one client; the loser's factory never runs.
        var client = _clients.GetOrAdd(jobId, static (_, make) => new Lazy<IAsyncDisposable>(make), () => create()).Value;
        if (_ended.ContainsKey(jobId) && _clients.TryRemove(jobId, out var late))
        {
            // The job ended while this client was being made: nothing else would dispose it.
            _ = late.Value.DisposeAsync().AsTask();
        }

        return (T)client;
    }

    /// <summary>Ray's recursive cancel: every job's client here cancels what <paramref name="parentTaskId"/> submitted through it.</summary>
    public void CancelChildren(string parentTaskId, bool force)
    {
        foreach (var client in _clients.Values)
        {
            if (client.IsValueCreated && client.Value is IChildTasks children)
            {
                children.CancelChildren(parentTaskId, force);
            }
        }
    }

    /// <summary>The job ended on this node: its client gives back its leases and stops; later requests fail.</summary>
    public Task JobEndedAsync(string jobId)
    {
        _ended[jobId] = true;
        return _clients.TryRemove(jobId, out var client) && client.IsValueCreated ? client.Value.DisposeAsync().AsTask() : Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var jobId in _clients.Keys.ToList())
        {
            await JobEndedAsync(jobId).ConfigureAwait(false);
        }
    }
}
