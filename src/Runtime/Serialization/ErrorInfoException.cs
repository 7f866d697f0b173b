using Granary.Runtime.Wire;

namespace Granary.Runtime.Serialization;

/// <summary>Carries a ready-made wire error through engine code that reports failures by throwing.</summary>
internal sealed class ErrorInfoException : Exception
{
    public ErrorInfoException(ErrorInfo info) : base(info.Message) => Info = info;

    public ErrorInfo Info { get; }
}
