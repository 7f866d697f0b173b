using Granary.Runtime.Objects;

namespace Granary.Client.Calls;

/// <summary>Where one argument of a remote call comes from.</summary>
internal abstract record ArgumentSource
{
    /// <summary>A value known on the client (a constant or a captured variable): serialized and sent.</summary>
    public sealed record Known(object? Value) : ArgumentSource;

    /// <summary>An ObjectRef standing where the method expects its value: resolved on the node that runs the call.</summary>
    public sealed record Reference(ObjectEntry Entry) : ArgumentSource;

    /// <summary>The i-th parameter of a Map/StarMap lambda: one value per item.</summary>
    public sealed record Parameter(int Index) : ArgumentSource;

    /// <summary>The i-th lambda parameter is itself an ObjectRef (Map over refs): resolved remotely per item.</summary>
    public sealed record ParameterReference(int Index) : ArgumentSource;

    /// <summary>An expression over the lambda's parameters, evaluated on the client per item.</summary>
    public sealed record Computed(Func<object?[], object?> Evaluate) : ArgumentSource;
}
