using System.Runtime.CompilerServices;
using Granary.Runtime.Objects;

namespace Granary;

/// <summary>A typed <see cref="ObjectRef"/>. Await it to get the value.</summary>
public sealed class ObjectRef<T> : ObjectRef
{
    internal ObjectRef(ObjectEntry entry) : base(entry)
    {
    }

    /// <summary>Fetches the value (from wherever it lives) and deserializes it.</summary>
    public ValueTask<T> GetAsync(CancellationToken cancellationToken = default) => Entry.GetAsync<T>(cancellationToken);

    /// <summary>
    /// Fetches the value, waiting at most <paramref name="timeout"/> for it (Ray's <c>ray.get(ref, timeout=...)</c>);
    /// throws <see cref="GetTimeoutException"/> when it runs out. <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> waits without limit.
    /// </summary>
    public async ValueTask<T> GetAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var expiry = Deadline.Start(timeout, cancellationToken);
        try
        {
            return await Entry.GetAsync<T>(expiry.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (expiry.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new GetTimeoutException(Id, timeout);
        }
    }

    public new ValueTaskAwaiter<T> GetAwaiter() => GetAsync().GetAwaiter();

    public override async ValueTask<object?> GetBoxedAsync(CancellationToken cancellationToken = default) =>
        await GetAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Lets a ref stand where a method expects <typeparamref name="T"/> inside <c>Remote(...)</c> or
    /// <c>Call(...)</c>; Granary sees the conversion in the expression and resolves the value on the node
    /// that runs the method. Calling it anywhere else is a mistake, so it throws.
    /// </summary>
    public static implicit operator T(ObjectRef<T> reference) =>
        throw new InvalidOperationException(
            $"{reference} stands for a value that may live on another node. Pass it as an argument inside Remote(...) or Call(...), or await it to get the value.");
}
