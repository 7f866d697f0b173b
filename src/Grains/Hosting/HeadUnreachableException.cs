namespace Granary.Grains.Hosting;

/// <summary>No Granary head answered at an address: it names the address, why, and what to start.</summary>
internal sealed class HeadUnreachableException(string address, string reason, Exception inner)
    : GranaryException($"Cannot reach the Granary head at {address}: {reason}. Is 'granary start --head' running there?", inner)
{
    public string Address { get; } = address;

    public string Reason { get; } = reason;
}
