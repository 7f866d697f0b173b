using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Granary.Grains;

/// <summary>
/// What a streaming task returned, read as boxed items: an <see cref="IAsyncEnumerable{T}"/> (read through a
/// generic adapter, as one over value types cannot be cast to one over objects) or an <see cref="IEnumerable{T}"/>.
/// </summary>
internal sealed class StreamedResult
{
    private static readonly MethodInfo _boxAsync = typeof(StreamedResult).GetMethod(nameof(BoxAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly Func<CancellationToken, IAsyncEnumerable<object?>> _read;

    private StreamedResult(Type itemType, Func<CancellationToken, IAsyncEnumerable<object?>> read)
    {
        ItemType = itemType;
        _read = read;
    }

    /// <summary>The declared item type, which each item is serialized as.</summary>
    public Type ItemType { get; }

    public IAsyncEnumerable<object?> Read(CancellationToken cancellationToken) => _read(cancellationToken);

    /// <summary>The items of <paramref name="result"/>, or null when <paramref name="declared"/> is not a sequence.</summary>
    public static StreamedResult? Of(object? result, Type declared)
    {
        if (SequenceTypes.ItemOf(declared, typeof(IAsyncEnumerable<>)) is { } asyncItem)
        {
            var box = _boxAsync.MakeGenericMethod(asyncItem);
            return new StreamedResult(asyncItem, token => result is null ? Empty() : (IAsyncEnumerable<object?>)box.Invoke(null, [result, token])!);
        }

        if (declared != typeof(string) && SequenceTypes.ItemOf(declared, typeof(IEnumerable<>)) is { } item)
        {
            return new StreamedResult(item, token => result is null ? Empty() : FromSync((IEnumerable)result, token));
        }

        return null;
    }

    private static async IAsyncEnumerable<object?> BoxAsync<T>(IAsyncEnumerable<T> source, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in source.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    private static async IAsyncEnumerable<object?> FromSync(IEnumerable source, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var item in source)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return item;
        }
    }

    private static async IAsyncEnumerable<object?> Empty()
    {
        await Task.CompletedTask.ConfigureAwait(false);
        yield break;
    }
}
