namespace Granary;

/// <summary>Where a task's code runs on its node.</summary>
public enum Isolation
{
    /// <summary>In the silo process, in the job's load context: fastest. Tasks with GPUs run as <see cref="Process"/> even so.</summary>
    InProcess,

    /// <summary>In a worker process of the silo whose CUDA_VISIBLE_DEVICES holds exactly the task's GPUs; a crash there fails only the task.</summary>
    Process,
}
