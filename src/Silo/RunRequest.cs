namespace Granary.Silo;

/// <summary>What `granary run` was asked to do, from its flags (<see cref="RunCommand.Parse"/>). Not thread-safe; filled once.</summary>
internal sealed class RunRequest
{
    /// <summary>The head's host:port; null to find it as `granary status` does.</summary>
    public string? Address { get; set; }

    /// <summary>Seconds each command may run once started; 0 for no limit.</summary>
    public double TimeoutSeconds { get; set; }

    /// <summary>RemoteOptions.MaxRetries of each command: runs again after its node or worker died.</summary>
    public int Retries { get; set; } = 3;

    /// <summary>CPUs each command reserves; 0, since GLB packs GPUs and a shell command mostly waits on its GPU.</summary>
    public double Cpus { get; set; }

    /// <summary>The shell commands, in the order given; the summary keeps it.</summary>
    public List<string> Commands { get; } = [];
}
