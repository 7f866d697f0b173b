using System.Collections;
using System.Runtime.CompilerServices;

namespace Granary.Grains;

/// <summary>
/// Ray's num_returns on the node: splits what a method returned into the values that become objects of their
/// own, and names those objects. A method submitted with N returns must return exactly N values, as an
/// array, a list or a tuple; anything else fails the task with a message that says what to change.
/// </summary>
internal static class ReturnParts
{
    /// <summary>The id of return <paramref name="index"/> of a task: derived, so the owner can name it before the task runs.</summary>
    public static string ReturnId(string taskId, int index) => taskId + ".r" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The id of item <paramref name="index"/> of a streaming task, derived the same way.</summary>
    public static string StreamItemId(string taskId, int index) => taskId + ".s" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The values and the types to serialize each as (declared ones where the signature gives them).</summary>
    public static (object?[] Values, Type[] Types) Split(object? result, Type declared, int count, string taskName)
    {
        switch (result)
        {
            case null:
                throw Mismatch(taskName, count, "null");
            case ITuple tuple:
            {
                Check(taskName, count, tuple.Length);
                var declaredArguments = declared.IsGenericType && typeof(ITuple).IsAssignableFrom(declared) ? declared.GetGenericArguments() : null;
                var values = new object?[count];
                var types = new Type[count];
                for (var i = 0; i < count; i++)
                {
                    values[i] = tuple[i];
                    // A tuple of eight or more nests its tail, so declared arguments only line up below eight.
                    types[i] = declaredArguments is not null && count < 8 ? declaredArguments[i] : values[i]?.GetType() ?? typeof(object);
                }

                return (values, types);
            }

            case IList list:
            {
                Check(taskName, count, list.Count);
                var element = ElementType(declared) ?? ElementType(result.GetType()) ?? typeof(object);
                var values = new object?[count];
                for (var i = 0; i < count; i++)
                {
                    values[i] = list[i];
                }

                return (values, Enumerable.Repeat(element, count).ToArray());
            }

            default:
                throw new InvalidOperationException(
                    $"{taskName} was submitted with {count} returns but returned a {result.GetType().Name}: return an array, a list or a tuple of exactly {count} values, or submit it with Remote for one result.");
        }
    }

    private static void Check(string taskName, int count, int returned)
    {
        if (returned != count)
        {
            throw Mismatch(taskName, count, $"{returned} values");
        }
    }

    private static InvalidOperationException Mismatch(string taskName, int count, string returned) =>
        new($"{taskName} was submitted with {count} returns but returned {returned}: return exactly {count} values, or change the count given to RemoteMany.");

    private static Type? ElementType(Type type)
    {
        return type.IsArray ? type.GetElementType() : SequenceTypes.ItemOf(type, typeof(IEnumerable<>));
    }
}
