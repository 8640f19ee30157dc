using Distill.EndToEnd.Tests.Support;

namespace Distill.EndToEnd.Tests;

/// <summary>
/// The PostgreSQL the scale-out tests (issue 11) start: a real server from initdb on a loopback port, as an
/// unprivileged user when the tests run as root, that keeps its data across a restart and leaves nothing behind.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PostgresServerTests
{
    [Fact]
    public void A_fresh_server_answers_keeps_its_data_across_a_restart_and_is_removed_after()
    {
        string folder;
        using (var server = PostgresServer.Start())
        {
            folder = server.Folder;
            Assert.Equal("42", server.Query("select 42"));
            server.Query("create table stage_job (id text primary key); insert into stage_job values ('teacher-0.0')");
            server.Stop();
            Assert.Throws<InvalidOperationException>(() => server.Query("select 1"));
            server.Start();
            Assert.Equal("teacher-0.0", server.Query("select id from stage_job"));
            Assert.Contains($"Port={server.Port}", server.ConnectionString);
            // The server process runs as an unprivileged user, whoever runs the tests.
            var pid = File.ReadLines(Path.Combine(server.DataFolder, "postmaster.pid")).First();
            var uid = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t')[1];
            Assert.NotEqual("0", uid);
        }
        Assert.False(Directory.Exists(folder));
    }
}
