using System.Net.Sockets;

namespace Granary.Benchmarks;

/// <summary>
/// What one loopback TCP connection carries at most: a large buffer sent in 1 MiB writes and read into a
/// reused buffer on the other side, nothing else in the way. It bounds the gigabytes rows, which move every
/// byte over such a connection (plus the copies into and out of it).
/// </summary>
internal static class LoopbackBandwidth
{
    public static async Task<Func<Task<double>>> StartAsync(int bytes, CancellationToken cancellationToken)
    {
        var (sender, receiver) = await LoopbackPair.ConnectAsync(cancellationToken);
        var source = new byte[bytes];
        Random.Shared.NextBytes(source);
        var sink = new byte[1 << 20];
        return async () =>
        {
            var reading = Task.Run(async () =>
            {
                var left = bytes;
                while (left > 0)
                {
                    left -= await receiver.ReceiveAsync(sink.AsMemory(0, Math.Min(sink.Length, left)), SocketFlags.None, cancellationToken);
                }
            }, cancellationToken);
            for (var offset = 0; offset < bytes; offset += 1 << 20)
            {
                await sender.SendAsync(source.AsMemory(offset, Math.Min(1 << 20, bytes - offset)), SocketFlags.None, cancellationToken);
            }

            await reading;
            return bytes / 1e9;
        };
    }
}
