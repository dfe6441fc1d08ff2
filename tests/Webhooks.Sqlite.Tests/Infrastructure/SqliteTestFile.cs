using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Sqlite.Delivery;
using Webhooks.Sqlite.Schema;
using Webhooks.Sqlite.Subscriptions;

namespace Webhooks.Sqlite.Tests.Infrastructure;

/// <summary>A fresh database file in the temp folder, removed (with its WAL) on dispose; reopen it to simulate a restart.</summary>
public sealed class SqliteTestFile : IDisposable
{
    private readonly List<SqliteWebhookDatabase> _opened = [];

    public SqliteTestFile(TimeProvider? clock = null)
    {
        Clock = clock ?? new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero));
        Directory.CreateDirectory(Folder);
        Path = System.IO.Path.Combine(Folder, $"{Guid.NewGuid():N}.db");
        ConnectionString = $"Data Source={Path}";
    }

    public static string Folder { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "webhooks-sqlite-tests");

    public string Path { get; }

    public string ConnectionString { get; }

    /// <summary>The store's clock: a fake one the test moves, unless the test passes another.</summary>
    public TimeProvider Clock { get; }

    public FakeTimeProvider FakeClock => (FakeTimeProvider)Clock;

    internal SqliteWebhookDatabase Open()
    {
        var database = new SqliteWebhookDatabase(ConnectionString, Clock);
        _opened.Add(database);
        return database;
    }

    internal SqliteWebhookSubscriptionStore Subscriptions(SqliteWebhookDatabase? database = null) => new(database ?? Open());

    internal SqliteWebhookDeliveryStore Deliveries(SqliteWebhookDatabase? database = null) => new(database ?? Open());

    public T Scalar<T>(string sql)
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)Convert.ChangeType(command.ExecuteScalar()!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public List<string> Column(string sql)
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(reader.GetValue(reader.FieldCount - 1).ToString()!);
        }

        return rows;
    }

    public void Dispose()
    {
        _opened.ForEach(d => d.Dispose());
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(Path + suffix);
        }
    }
}
