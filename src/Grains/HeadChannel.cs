using Granary.Grains.Head;
using Granary.Runtime.Serialization;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>
/// How a silo reaches the head grain: in process on the head silo, over its pooled connection elsewhere.
/// Either way the same messages and replies, so both paths run the same head code. Thread-safe.
/// </summary>
internal sealed class HeadChannel
{
    private readonly HeadGrain? _local;
    private readonly ConnectionPool? _pool;
    private readonly string? _address;

    private HeadChannel(HeadGrain? local, ConnectionPool? pool, string? address)
    {
        _local = local;
        _pool = pool;
        _address = address;
    }

    public static HeadChannel Local(HeadGrain head) => new(head, null, null);

    public static HeadChannel Remote(ConnectionPool pool, string address) => new(null, pool, address);

    public async Task<Envelope> RequestAsync(Envelope request, CancellationToken cancellationToken)
    {
        if (_local is not null)
        {
            return ErrorConverter.Unwrap(await _local.HandleAsync(null, request).ConfigureAwait(false));
        }

        var connection = await _pool!.GetAsync(_address!, cancellationToken).ConfigureAwait(false);
        return await connection.RequestAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public async Task SendAsync(Envelope message, CancellationToken cancellationToken)
    {
        if (_local is not null)
        {
            await _local.HandleAsync(null, message).ConfigureAwait(false);
            return;
        }

        var connection = await _pool!.GetAsync(_address!, cancellationToken).ConfigureAwait(false);
        connection.Send(message);
    }
}
