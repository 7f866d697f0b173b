using System.Globalization;

namespace Granary.Runtime.Code;

/// <summary>The limit on the bytes of code one job ships (ClientOptions.MaxCodeBytes), checked by the client before upload and by the head.</summary>
internal static class CodeSizeLimit
{
    /// <summary>The limit a registration carries; 0 (an older client) means the default.</summary>
    public static long Effective(long declared) => declared > 0 ? declared : GranaryDefaults.MaxCodeBytes;

    public static CodeLoadException Exceeded(string jobId, long totalBytes, long limitBytes, string largestName, long largestBytes) =>
        new(string.Create(
            CultureInfo.InvariantCulture,
            $"Job {jobId} ships {totalBytes:N0} bytes of code, over its limit of {limitBytes:N0} bytes (ClientOptions.MaxCodeBytes; the largest assembly is {largestName}, {largestBytes:N0} bytes). Raise ClientOptions.MaxCodeBytes, or keep large files out of the assemblies the job references."));
}
