using System.Reflection;
using Granary.Runtime.Wire;

namespace Granary.Client.Calls;

/// <summary>A remote call taken apart: the method (or constructor) to run and where each argument comes from.</summary>
internal sealed record ParsedCall(MethodBase Method, MethodRef Reference, Type[] ParameterTypes, ArgumentSource[] Arguments)
{
    public string DisplayName => Reference.DisplayName;
}
