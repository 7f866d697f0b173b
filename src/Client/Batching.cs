namespace Granary.Client;

/// <summary>
/// The rules task pushes (TaskSubmitter) and actor calls (ActorCallQueue) share for short work: what counts
/// as short, how much one Orleans call carries, and when to hold work back for the next batch. A batch's
/// replies come back together, so the first waits for the last, at most <see cref="MaxSize"/> × <see cref="ShortMicros"/>.
/// </summary>
internal static class Batching
{
    /// <summary>Work averaging under this many microseconds of run time is short enough to batch.</summary>
    public const double ShortMicros = 200;

    /// <summary>Most tasks or calls one Orleans call carries.</summary>
    public const int MaxSize = 64;

    /// <summary>Short work submitted while this many calls of its kind are out waits to travel with the next batch.</summary>
    public const int RequestsBeforeHolding = 2;

    /// <summary>The longest held work waits when no answer comes (it may be what an earlier call waits for).</summary>
    public static readonly TimeSpan MaxHold = TimeSpan.FromMilliseconds(1);

    /// <summary>The moving average of run times (new = 0.8 × old + 0.2 × sample); -1 means nothing has run yet.</summary>
    public static double Average(double average, long sampleMicros) =>
        average < 0 ? sampleMicros : (average * 0.8) + (sampleMicros * 0.2);

    public static bool IsShort(double averageMicros) => averageMicros is >= 0 and < ShortMicros;
}
