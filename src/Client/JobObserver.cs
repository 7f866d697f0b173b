using Granary.Runtime.Grains;
using Granary.Runtime.Wire;

namespace Granary.Client;

/// <summary>What the head tells this client, as an Orleans grain observer. Thread-safe.</summary>
internal sealed class JobObserver(NodeChannels channels, DriverLogs logs) : IJobObserver
{
    public Task Logs(LogBatch batch)
    {
        logs.OnBatch(batch);
        return Task.CompletedTask;
    }

    public Task NodeDied(NodeDied notice)
    {
        channels.OnNodeDied(notice.NodeId, notice.Reason);
        return Task.CompletedTask;
    }
}
