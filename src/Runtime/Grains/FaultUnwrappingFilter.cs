using Granary.Runtime.Serialization;
using Orleans;

namespace Granary.Runtime.Grains;

/// <summary>Caller side of <see cref="GranaryFault"/>: rethrows the typed exception it carries. Thread-safe.</summary>
internal sealed class FaultUnwrappingFilter : IOutgoingGrainCallFilter
{
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        try
        {
            await context.Invoke().ConfigureAwait(false);
        }
        catch (GranaryFault fault)
        {
            throw ErrorConverter.ToException(fault.Info);
        }
    }
}
