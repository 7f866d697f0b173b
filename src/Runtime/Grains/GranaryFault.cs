using Granary.Runtime.Wire;
using Orleans;

namespace Granary.Runtime.Grains;

/// <summary>
/// A Granary error crossing a grain call: the typed exception's wire form (<see cref="ErrorInfo"/>: kind,
/// remote type, message, stack, node). Granary's grains throw it instead of their typed exceptions, and
/// every caller's <see cref="FaultUnwrappingFilter"/> turns it back into the typed exception, so user code
/// sees <see cref="RemoteTaskException"/>, <see cref="NodeDiedException"/> and the rest exactly as thrown.
/// </summary>
[GenerateSerializer]
[Alias("granary.fault")]
internal sealed class GranaryFault : Exception
{
    public GranaryFault(ErrorInfo info) : base(info.Message) => Info = info;

    [Id(0)]
    public ErrorInfo Info { get; init; }
}
