namespace Granary;

/// <summary>What Granary.Client adds to <see cref="TaskContext"/>: the way to submit work from inside the cluster.</summary>
public static class TaskContextExtensions
{
    extension(TaskContext context)
    {
        /// <summary>
        /// A Granary client for the cluster this task or actor call runs in, under the same job: Remote, Map,
        /// Put, GetAsync, WaitAsync, CreateActorAsync and actor calls work as on the driver. It owns what it
        /// creates (results live in this process's objects for the job); a ref returned to the caller, alone or
        /// inside a value, is handed over and stays valid there. One client per job per process, made on first
        /// use and disposed when the job ends on this node. Thread-safe.
        /// </summary>
        public GranaryClient Client => GranaryClient.InCluster(context);
    }
}
