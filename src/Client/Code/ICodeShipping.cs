using System.Reflection;

namespace Granary.Client.Code;

/// <summary>How a client makes sure the head has the code a call names, and which manifest version the call carries.</summary>
internal interface ICodeShipping
{
    /// <summary>Assemblies uploaded to the head so far.</summary>
    int UploadedAssemblies { get; }

    /// <summary>Completes once the head has <paramref name="method"/>'s code; the version to put in the spec.</summary>
    (Task Ready, int Version) Ensure(MethodBase method);
}
