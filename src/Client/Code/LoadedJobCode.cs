using System.Reflection;

namespace Granary.Client.Code;

/// <summary>
/// Code shipping for an in-cluster client: nothing to ship. The method a running task names lives in the
/// job's code already loaded in this process (the driver shipped it), so the call carries the manifest
/// version this process has, which covers every assembly its running code could name. Thread-safe.
/// </summary>
internal sealed class LoadedJobCode(Func<int> version) : ICodeShipping
{
    public int UploadedAssemblies => 0;

    public (Task Ready, int Version) Ensure(MethodBase method) => (Task.CompletedTask, version());
}
