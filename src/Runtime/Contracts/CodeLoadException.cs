namespace Granary;

/// <summary>A type, method or assembly the work needs could not be loaded on the node; the message names it.</summary>
public sealed class CodeLoadException : GranaryException
{
    public CodeLoadException(string message, Exception? innerException = null) : base(message, innerException)
    {
    }
}
