using MessagePack;

namespace Granary.Runtime.Serialization;

/// <summary>
/// How deep the value being written on this thread is nested. MessagePack checks depth only when reading, so
/// a value that holds itself (a reference cycle) would write until the stack overflows and the process dies;
/// counting here turns it into an error at submission instead. Per thread because MessagePack writes
/// synchronously on the caller's thread.
/// </summary>
internal static class WriteDepth
{
    [ThreadStatic]
    private static int t_depth;

    /// <summary>One level deeper, into a value of <paramref name="type"/>; pair with <see cref="Exit"/> in a finally.</summary>
    public static void Enter(Type type, MessagePackSerializerOptions options)
    {
        var limit = options.Security.MaximumObjectGraphDepth;
        if (++t_depth > limit)
        {
            t_depth--;
            throw new MessagePackSerializationException(
                $"It is nested more than {limit} levels deep at a '{type.Name}', so it most likely holds a reference cycle, which MessagePack cannot write.");
        }
    }

    public static void Exit() => t_depth--;
}
