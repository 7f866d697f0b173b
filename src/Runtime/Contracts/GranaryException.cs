namespace Granary;

/// <summary>Base of every error Granary raises. <see cref="IsRetryable"/> says whether trying again may succeed.</summary>
public class GranaryException : Exception
{
    public GranaryException(string message, Exception? innerException = null) : base(message, innerException)
    {
    }

    /// <summary>True when the failure came from the system (a node or worker died) rather than the request itself.</summary>
    public virtual bool IsRetryable => false;
}
