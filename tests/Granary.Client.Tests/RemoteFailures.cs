namespace Granary.Client.Tests;

/// <summary>A user exception rebuilt as its own type carries where and what ran in its inner RemoteTaskException.</summary>
internal static class RemoteFailures
{
    public static RemoteTaskException Remote(this Exception rebuilt) => Assert.IsType<RemoteTaskException>(rebuilt.InnerException);
}
