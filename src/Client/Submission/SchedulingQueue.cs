namespace Granary.Client.Submission;

/// <summary>
/// The client's queue for one scheduling key (resource shape and placement): tasks waiting for a lease slot
/// and the leases held for that shape. Guarded by the submitter's lock.
/// </summary>
internal sealed class SchedulingQueue(string key, Granary.Runtime.Wire.ResourceRequest request)
{
    public string Key { get; } = key;

    public Granary.Runtime.Wire.ResourceRequest Request { get; } = request;

    public Queue<PendingTask> Waiting { get; } = new();

    public List<LeaseSlot> Leases { get; } = [];

    public bool Requesting { get; set; }

    /// <summary>Moving average of how long a task of this shape takes, in microseconds; -1 until one has run.</summary>
    public double AverageMicros { get; set; } = -1;

    /// <summary>
    /// True when the head said no more leases of this shape fit (spare 0 on the last grant). Until then
    /// tasks wait for a lease of their own rather than queue behind a running one.
    /// </summary>
    public bool Saturated { get; set; }

    /// <summary>
    /// How many tasks may be queued on one lease. Short tasks pipeline deeply to hide round trips; long or
    /// unknown ones go one at a time so a new lease can take the next one instead of it waiting behind.
    /// The shortest travel in batches of at most 64 (one call each way); two batches per lease keep the
    /// lease busy with the next while the replies of the last are on their way.
    /// </summary>
    public int Depth => !Saturated ? 1 : AverageMicros switch
    {
        < 0 => 1,
        < Client.Batching.ShortMicros => 2 * Client.Batching.MaxSize,
        < 2_000 => 8,
        < 20_000 => 2,
        _ => 1,
    };

    public int InFlight => Leases.Sum(l => l.InFlight);

    /// <summary>Push calls (single tasks or batches) out and not yet answered.</summary>
    public int Requests { get; set; }

    /// <summary>A timer will pump the held tasks; see TaskSubmitter's hold.</summary>
    public bool HoldArmed { get; set; }

    /// <summary>Tasks are short and the cluster is full: they travel in batches.</summary>
    public bool Batching => Saturated && Client.Batching.IsShort(AverageMicros);
}
