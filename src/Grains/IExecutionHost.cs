using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>What running a task needs from the process it runs in: a silo, or a silo's worker process.</summary>
internal interface IExecutionHost
{
    string NodeId { get; }

    JobCodeRegistry Jobs { get; }

    /// <summary>Gets an object from wherever it is stored, as <paramref name="type"/> (a raw array decoded as it arrives).</summary>
    ValueTask<object?> FetchArgumentAsync(ObjectLocation location, Type type, ValueSerializer serializer, CancellationToken cancellationToken);

    /// <summary>Turns a result into a reply: inline, or kept in a store and named by location.</summary>
    TaskReply Completed(TaskSpec spec, Value value);
}
