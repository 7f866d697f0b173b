namespace Granary;

/// <summary>
/// Some ranks of a multi-rank launch did not reach a rendezvous, barrier or gathering in time; the message names
/// them. Raise <see cref="DistributedOptions.RendezvousTimeout"/> when ranks start slowly.
/// </summary>
public sealed class RendezvousTimeoutException : GranaryException
{
    public RendezvousTimeoutException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
