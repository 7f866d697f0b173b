namespace Granary.Grains;

/// <summary>What a sequence type holds, read from its signature: for the results of multiple returns and streams.</summary>
internal static class SequenceTypes
{
    /// <summary>
    /// T when <paramref name="type"/> is <paramref name="definition"/>&lt;T&gt; (such as IEnumerable&lt;&gt;) or
    /// implements it; null otherwise.
    /// </summary>
    public static Type? ItemOf(Type type, Type definition)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == definition)
        {
            return type.GetGenericArguments()[0];
        }

        return type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition)?.GetGenericArguments()[0];
    }
}
