namespace Granary;

/// <summary>No live node could ever host the request: it names the short resource and the largest offer.</summary>
public sealed class InfeasibleResourcesException : GranaryException
{
    public InfeasibleResourcesException(string message) : base(message)
    {
    }
}
