using Granary.Runtime.Wire;
using Orleans;
using Orleans.Concurrency;

namespace Granary.Runtime.Grains;

/// <summary>What the head tells a client: a node died, so calls in flight there must fail or retry at once; and its tasks' output.</summary>
internal interface IJobObserver : IGrainObserver
{
    /// <summary>Answered, so the head can tell a client that is gone from one that heard.</summary>
    Task NodeDied(NodeDied notice);

    /// <summary>Lines the job's tasks and actors wrote on one node (ClientOptions.LogToDriver).</summary>
    Task Logs(LogBatch batch);
}
