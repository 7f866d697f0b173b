using Granary.Runtime.Grains;
using Granary.Runtime.Wire;

namespace Granary.Grains.Head;

/// <summary>Task output on its way from the nodes to the job's client (ClientOptions.LogToDriver).</summary>
internal sealed partial class HeadService
{
    /// <summary>
    /// Passes a batch to the job's client and answers once it has it, so a node sends its next batch only
    /// then (order, and a slow client slows only that node's buffer, which drops what does not fit). A job
    /// the head does not know (ended, or a detached actor's creator gone) gets nothing.
    /// </summary>
    public Task ShipLogsAsync(LogBatch batch)
    {
        IJobObserver? client;
        lock (_jobs)
        {
            client = _jobs.TryGetValue(batch.JobId, out var session) ? session.Observer : null;
        }

        return client is null ? Task.CompletedTask : client.Logs(batch).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
