using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.PostgreSql.Schema;
using Webhooks.PostgreSql.Tests.Infrastructure;

namespace Webhooks.PostgreSql.Tests;

/// <summary>
/// The data source webhooks own (from a connection string) hands connections back without Npgsql's
/// reset statements, so nothing a webhook statement does may outlive it on a pooled connection; an
/// app's own data source keeps its settings.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDataSourceTests(PostgresCluster cluster)
{
    /// <summary>The owned data source does not reset returned connections; a connection string that says otherwise wins; an app's data source is left alone.</summary>
    [Fact]
    public async Task OwnedDataSource_NoResetOnClose_AppDataSourceUnchanged()
    {
        var cs = await cluster.CreateDatabaseAsync("datasource");
        await using (var owned = Pg.Services(cs))
        {
            Settings(owned).NoResetOnClose.Should().BeTrue();
            Settings(owned).MaxAutoPrepare.Should().BeGreaterThan(0);
        }

        await using (var explicitReset = Pg.Services(cs + ";No Reset On Close=false"))
        {
            Settings(explicitReset).NoResetOnClose.Should().BeFalse("the connection string's own setting wins");
        }

        await using var appSource = NpgsqlDataSource.Create(cs);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWebhooks().UsePostgreSql(appSource);
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<PostgreSqlWebhookDatabase>().DataSource.Should().BeSameAs(appSource);
        Settings(provider).NoResetOnClose.Should().BeFalse("an app's data source is never changed");
    }

    /// <summary>
    /// The listener's connection stops listening before it goes back to the pool: once the host has
    /// stopped, no session of the app is left listening.
    /// </summary>
    [Fact]
    public async Task Listener_Stopped_HandsItsConnectionBackNotListening()
    {
        var cs = new NpgsqlConnectionStringBuilder(await cluster.CreateDatabaseAsync("datasource")) { ApplicationName = "webhooks_unlisten_test" }.ConnectionString;
        await using var host = await PgHosts.StartAsync(cs, "unlisten");
        const string Sessions = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'webhooks_unlisten_test' AND query ";
        await Eventually.TrueAsync(async () => await Pg.ScalarAsync<long>(cs, Sessions + "LIKE 'LISTEN %'") > 0, "the listener to listen", TimeSpan.FromSeconds(60));

        await host.Host.StopAsync();

        // Unlistened and pooled, or closed (a connection the cancellation broke is not pooled): either way no session listens.
        await Eventually.TrueAsync(async () => await Pg.ScalarAsync<long>(cs, Sessions + "LIKE 'LISTEN %'") == 0, "the listener's session to stop listening", TimeSpan.FromSeconds(60));
    }

    private static NpgsqlConnectionStringBuilder Settings(IServiceProvider services) =>
        new(services.GetRequiredService<PostgreSqlWebhookDatabase>().DataSource.ConnectionString);
}
