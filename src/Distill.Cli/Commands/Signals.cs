using System.Diagnostics;
using System.Globalization;

namespace Distill.Cli.Commands;

/// <summary>Signals to other processes.</summary>
internal static class Signals
{
    /// <summary>SIGTERM through kill(1): .NET's Process can only SIGKILL, which would skip the checkpoint.</summary>
    public static void Terminate(int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", pid.ToString(CultureInfo.InvariantCulture) } });
        kill?.WaitForExit();
    }
}
