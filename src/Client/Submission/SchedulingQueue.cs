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
    /// </summary>
    public int Depth => !Saturated ? 1 : AverageMicros switch
    {
        < 0 => 1,
        < 200 => 64,
        < 2_000 => 8,
        < 20_000 => 2,
        _ => 1,
    };

    public int InFlight => Leases.Sum(l => l.InFlight);
}
