using Google.Protobuf;
using Granary.Runtime.Grains;
using Granary.Runtime.Wire;
using Orleans;

namespace Granary.Runtime.Launch;

/// <summary>
/// A rank's <see cref="ILaunchChannel"/> over Orleans: gatherings and markers are head-grain calls; ring
/// pieces are delivered to the node grain of the receiving rank's node (from a worker process that is a hop
/// through its own silo, then silo to silo) and taken from this rank's own node. Thread-safe.
/// </summary>
internal sealed class LaunchChannel(IGrainFactory grains, string jobId, LaunchRank rank, RankLink? link = null) : ILaunchChannel
{
    /// <summary>The rank's direct link, when its launch uses one (see <see cref="CollectiveTransport.Direct"/>).</summary>
    public RankLink? Link => link;

    private IHeadGrain Head => grains.GetGrain<IHeadGrain>(IHeadGrain.HeadGrainKey);

    public async Task<IReadOnlyList<byte[]>> GatherAsync(string key, byte[] payload, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var gathered = await Head.LaunchGather(
            new LaunchGather
            {
                JobId = jobId,
                LaunchId = rank.LaunchId,
                Key = key,
                Rank = rank.Rank,
                WorldSize = rank.WorldSize,
                Payload = ByteString.CopyFrom(payload),
                TimeoutMs = (long)timeout.TotalMilliseconds,
            },
            cancellationToken).ConfigureAwait(false);
        return gathered.Payloads.Select(p => p.ToByteArray()).ToList();
    }

    public async Task SendAsync(int toRank, int sequence, int step, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (link is not null)
        {
            // A ring only ever sends to the next rank, which is where the link goes.
            await link.SendAsync(sequence, step, data, cancellationToken).ConfigureAwait(false);
            return;
        }

        var node = grains.GetGrain<INodeGrain>(rank.RankNodes[toRank]);
        var pieces = Math.Max(1, (int)((data.Length + RankContext.PieceBytes - 1) / RankContext.PieceBytes));
        var sends = new Task[pieces];
        for (var i = 0; i < pieces; i++)
        {
            var start = i * RankContext.PieceBytes;
            var piece = new CollectivePiece
            {
                JobId = jobId,
                LaunchId = rank.LaunchId,
                ToRank = toRank,
                Sequence = sequence,
                Step = step,
                Piece = i,
                TotalBytes = data.Length,
                Data = ByteString.CopyFrom(data.Span.Slice(start, Math.Min(RankContext.PieceBytes, data.Length - start))),
            };
            sends[i] = node.DeliverPiece(piece, cancellationToken);
        }

        await Task.WhenAll(sends).ConfigureAwait(false);
    }

    public async Task<ReceivedBytes> ReceiveAsync(int sequence, int step, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (link is not null)
        {
            return await link.ReceiveAsync(sequence, step, timeout, cancellationToken).ConfigureAwait(false);
        }

        var node = grains.GetGrain<INodeGrain>(rank.RankNodes[rank.Rank]);
        var first = await node.TakePiece(Take(sequence, step, 0, timeout), cancellationToken).ConfigureAwait(false);
        var data = new byte[first.TotalBytes];
        first.Data.Span.CopyTo(data);
        var pieces = (int)((first.TotalBytes + RankContext.PieceBytes - 1) / RankContext.PieceBytes);
        if (pieces > 1)
        {
            var rest = new Task<CollectivePiece>[pieces - 1];
            for (var i = 1; i < pieces; i++)
            {
                rest[i - 1] = node.TakePiece(Take(sequence, step, i, timeout), cancellationToken);
            }

            foreach (var piece in await Task.WhenAll(rest).ConfigureAwait(false))
            {
                piece.Data.Span.CopyTo(data.AsSpan(piece.Piece * RankContext.PieceBytes));
            }
        }

        return new ReceivedBytes(data, data.Length, pooled: false);
    }

    public Task CompleteAsync(bool succeeded, string error, CancellationToken cancellationToken) =>
        Head.CompleteLaunch(new LaunchCompletion { LaunchId = rank.LaunchId, Succeeded = succeeded, Error = error }, cancellationToken);

    public async Task<(bool Succeeded, string Error)> AwaitCompletionAsync(CancellationToken cancellationToken)
    {
        var marker = await Head.AwaitLaunchCompletion(rank.LaunchId, cancellationToken).ConfigureAwait(false);
        return (marker.Succeeded, marker.Error);
    }

    private TakePiece Take(int sequence, int step, int piece, TimeSpan timeout) => new()
    {
        JobId = jobId,
        LaunchId = rank.LaunchId,
        Rank = rank.Rank,
        Sequence = sequence,
        Step = step,
        Piece = piece,
        TimeoutMs = (long)timeout.TotalMilliseconds,
    };
}
