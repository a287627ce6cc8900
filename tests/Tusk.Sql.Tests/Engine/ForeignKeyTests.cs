using Xunit;

namespace Tusk.Sql.Tests.Engine;

/// <summary>FOREIGN KEY constraints: definition errors, 23503 with PostgreSQL's messages, and the referential actions.</summary>
public sealed class ForeignKeyTests : IDisposable
{
    private readonly SqlTestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    private void Shop(string onDelete = "", string onUpdate = "") => _db.Run($"""
        CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE, name text);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers {onDelete} {onUpdate}, total numeric(10,2));
        CREATE INDEX orders_customer ON orders (customer_id);
        INSERT INTO customers VALUES (1, 'a@x', 'Ada'), (2, 'b@x', 'Bob');
        INSERT INTO orders VALUES (10, 1, 5), (11, 1, 7), (12, 2, 9), (13, NULL, 1);
        """);

    [Fact]
    public void AReferencingRowNeedsItsKey()
    {
        Shop();
        var missing = _db.Error("INSERT INTO orders VALUES (14, 3, 1)");
        Assert.Equal("23503", missing.SqlState);
        Assert.Equal("insert or update on table \"orders\" violates foreign key constraint \"orders_customer_id_fkey\"", missing.Message);
        Assert.Equal("Key (customer_id)=(3) is not present in table \"customers\".", missing.Detail);
        Assert.Equal("23503", _db.Error("UPDATE orders SET customer_id = 9 WHERE id = 10").SqlState);
        // NULL keys are not checked (MATCH SIMPLE); unchanged keys are not re-checked.
        _db.Run("INSERT INTO orders VALUES (14, NULL, 1)");
        _db.Run("UPDATE orders SET total = total + 1 WHERE customer_id = 1");
        _db.Run("UPDATE orders SET customer_id = 2 WHERE id = 13");
        Assert.Equal("10|1\n11|1\n12|2\n13|2\n14|NULL", _db.Query("SELECT id, customer_id FROM orders ORDER BY id"));
        // A failed statement wrote nothing, and a key inserted earlier in the same transaction counts.
        _db.Run("BEGIN; INSERT INTO customers VALUES (3, 'c@x', 'Cy'); INSERT INTO orders VALUES (15, 3, 0); COMMIT");
        Assert.Equal("1", _db.Query("SELECT count(*) FROM orders WHERE customer_id = 3"));
    }

    [Fact]
    public void NoActionAndRestrictKeepReferencedRows()
    {
        Shop();
        var referenced = _db.Error("DELETE FROM customers WHERE id = 1");
        Assert.Equal("23503", referenced.SqlState);
        Assert.Equal("update or delete on table \"customers\" violates foreign key constraint \"orders_customer_id_fkey\" on table \"orders\"", referenced.Message);
        Assert.Equal("Key (id)=(1) is still referenced from table \"orders\".", referenced.Detail);
        Assert.Equal("23503", _db.Error("UPDATE customers SET id = 5 WHERE id = 2").SqlState);
        _db.Run("UPDATE customers SET name = 'Ada L' WHERE id = 1");   // the key did not change
        _db.Run("DELETE FROM orders WHERE customer_id = 2");
        _db.Run("DELETE FROM customers WHERE id = 2");
        Assert.Equal("1", _db.Query("SELECT count(*) FROM customers"));
    }

    [Fact]
    public void CascadeSetNullAndSetDefault()
    {
        Shop("ON DELETE CASCADE", "ON UPDATE CASCADE");
        _db.Run("CREATE TABLE lines (id int PRIMARY KEY, order_id int NOT NULL REFERENCES orders ON DELETE CASCADE, qty int)");
        _db.Run("INSERT INTO lines VALUES (100, 10, 1), (101, 10, 2), (102, 12, 3)");
        Assert.Equal("DELETE 1", _db.Run("DELETE FROM customers WHERE id = 1").CommandTag);
        // The customer's orders went, and their lines with them (a cascade continues through the next table's keys).
        Assert.Equal("12\n13", _db.Query("SELECT id FROM orders ORDER BY id"));
        Assert.Equal("102", _db.Query("SELECT id FROM lines"));
        _db.Run("UPDATE customers SET id = 20 WHERE id = 2");
        Assert.Equal("12|20", _db.Query("SELECT id, customer_id FROM orders WHERE id = 12"));

        _db.Run("""
            CREATE TABLE teams (id int PRIMARY KEY);
            INSERT INTO teams VALUES (0), (1);
            CREATE TABLE players (id int PRIMARY KEY, team int DEFAULT 0 REFERENCES teams ON DELETE SET DEFAULT, coach int REFERENCES teams ON DELETE SET NULL);
            INSERT INTO players VALUES (1, 1, 1), (2, 0, 1);
            """);
        _db.Run("DELETE FROM teams WHERE id = 1");
        Assert.Equal("1|0|NULL\n2|0|NULL", _db.Query("SELECT * FROM players ORDER BY id"));
        // SET DEFAULT still needs the default's row.
        Assert.Equal("23503", _db.Error("DELETE FROM teams WHERE id = 0").SqlState);
        // SET NULL on a NOT NULL column fails as the update would.
        _db.Run("CREATE TABLE strict (id int PRIMARY KEY, team int NOT NULL REFERENCES teams ON DELETE SET NULL); INSERT INTO teams VALUES (5); INSERT INTO strict VALUES (1, 5)");
        Assert.Equal("23502", _db.Error("DELETE FROM teams WHERE id = 5").SqlState);
    }

    [Fact]
    public void SelfReferencesCompositeAndUniqueKeys()
    {
        _db.Run("""
            CREATE TABLE emp (id int PRIMARY KEY, boss int REFERENCES emp (id) ON DELETE CASCADE, name text);
            INSERT INTO emp VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 2, 'b'), (4, 4, 'self');
            """);
        Assert.Equal("23503", _db.Error("INSERT INTO emp VALUES (5, 99, 'x')").SqlState);
        _db.Run("DELETE FROM emp WHERE id = 1");
        Assert.Equal("4", _db.Query("SELECT id FROM emp"));

        _db.Run("""
            CREATE TABLE accounts (bank text, num int, code text UNIQUE, PRIMARY KEY (bank, num));
            INSERT INTO accounts VALUES ('b1', 1, 'X1'), ('b1', 2, 'X2');
            CREATE TABLE transfers (id int PRIMARY KEY, num int, bank varchar(10), code text,
                FOREIGN KEY (num, bank) REFERENCES accounts (num, bank),
                CONSTRAINT by_code FOREIGN KEY (code) REFERENCES accounts (code) ON UPDATE CASCADE);
            INSERT INTO transfers VALUES (1, 1, 'b1', 'X2');
            """);
        Assert.Equal("Key (num, bank)=(3, b1) is not present in table \"accounts\".", _db.Error("INSERT INTO transfers VALUES (2, 3, 'b1', NULL)").Detail);
        Assert.Equal("Key (code)=(X9) is not present in table \"accounts\".", _db.Error("INSERT INTO transfers VALUES (2, NULL, NULL, 'X9')").Detail);
        _db.Run("UPDATE accounts SET code = 'Y2' WHERE num = 2");
        Assert.Equal("Y2", _db.Query("SELECT code FROM transfers"));
        Assert.Equal("23503", _db.Error("DELETE FROM accounts WHERE num = 1").SqlState);
    }

    [Fact]
    public void DefinitionErrors()
    {
        _db.Run("CREATE TABLE p (id int PRIMARY KEY, u text UNIQUE, other text, ts timestamptz UNIQUE); CREATE TABLE nokey (a int)");
        Assert.Equal("42P01", _db.Error("CREATE TABLE c (x int REFERENCES missing)").SqlState);
        Assert.Equal("42703", _db.Error("CREATE TABLE c (x int REFERENCES p (nope))").SqlState);
        var notUnique = _db.Error("CREATE TABLE c (x text REFERENCES p (other))");
        Assert.Equal(("42830", "there is no unique constraint matching given keys for referenced table \"p\""), (notUnique.SqlState, notUnique.Message));
        Assert.Equal("there is no primary key for referenced table \"nokey\"", _db.Error("CREATE TABLE c (x int REFERENCES nokey)").Message);
        Assert.Equal("42830", _db.Error("CREATE TABLE c (x int, y int, FOREIGN KEY (x, y) REFERENCES p (id))").SqlState);
        var types = _db.Error("CREATE TABLE c (x int REFERENCES p (ts))");
        Assert.Equal("42804", types.SqlState);
        Assert.Equal("Key columns \"x\" and \"ts\" are of incompatible types: integer and timestamp with time zone.", types.Detail);
        // bigint referencing integer is fine, as in PostgreSQL.
        _db.Run("CREATE TABLE c (x bigint REFERENCES p, y varchar(5) REFERENCES p (u))");
    }

    [Fact]
    public void AlterDropAndTruncate()
    {
        Shop();
        _db.Run("CREATE TABLE notes (id int PRIMARY KEY, customer int)");
        _db.Run("INSERT INTO notes VALUES (1, 1), (2, 7)");
        var existing = _db.Error("ALTER TABLE notes ADD CONSTRAINT notes_fk FOREIGN KEY (customer) REFERENCES customers");
        Assert.Equal(("23503", "Key (customer)=(7) is not present in table \"customers\"."), (existing.SqlState, existing.Detail));
        _db.Run("DELETE FROM notes WHERE id = 2");
        _db.Run("ALTER TABLE notes ADD CONSTRAINT notes_fk FOREIGN KEY (customer) REFERENCES customers ON DELETE CASCADE");
        Assert.Equal("23503", _db.Error("INSERT INTO notes VALUES (3, 8)").SqlState);
        _db.Run("ALTER TABLE notes DROP CONSTRAINT notes_fk");
        _db.Run("INSERT INTO notes VALUES (3, 8)");

        var truncate = _db.Error("TRUNCATE customers");
        Assert.Equal(("0A000", "Table \"orders\" references \"customers\"."), (truncate.SqlState, truncate.Detail));
        var drop = _db.Error("DROP TABLE customers");
        Assert.Equal("2BP01", drop.SqlState);
        Assert.Equal("constraint orders_customer_id_fkey on table orders depends on table customers", drop.Detail);
        Assert.Equal("2BP01", _db.Error("ALTER TABLE customers DROP COLUMN id").SqlState);

        _db.Run("TRUNCATE customers CASCADE");
        Assert.Equal("0", _db.Query("SELECT count(*) FROM orders"));
        _db.Run("DROP TABLE customers CASCADE");
        // The key went with the table: orders take any customer id now.
        _db.Run("INSERT INTO orders VALUES (1, 42, 0)");
        _db.Run("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a int REFERENCES a); DROP TABLE a, b");
    }

    [Fact]
    public void SerializableTransactionsCannotBreakAKeyConcurrently()
    {
        Shop();
        _db.Run("DELETE FROM orders WHERE customer_id = 2");
        var other = _db.NewSession();
        // One inserts an order for customer 2 while the other deletes the customer: each saw the key intact.
        _db.Run("BEGIN ISOLATION LEVEL SERIALIZABLE; INSERT INTO orders VALUES (20, 2, 1)");
        SqlTestDatabase.Run(other, "BEGIN ISOLATION LEVEL SERIALIZABLE; DELETE FROM customers WHERE id = 2");
        _db.Run("COMMIT");
        var failed = Assert.Throws<SqlException>(() => SqlTestDatabase.Run(other, "COMMIT"));
        Assert.Equal("40001", failed.SqlState);
        Assert.Equal("2", _db.Query("SELECT customer_id FROM orders WHERE id = 20"));
    }

    [Fact]
    public void TheCatalogShowsForeignKeys()
    {
        Shop("ON DELETE CASCADE");
        Assert.Equal("orders_customer_id_fkey|f|customers|a|c|{2}|{1}", _db.Query(
            "SELECT conname, contype, confrelid::regclass, confupdtype, confdeltype, conkey, confkey FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'f'"));
        Assert.Equal("FOREIGN KEY (customer_id) REFERENCES customers(id) ON DELETE CASCADE", _db.Query(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'orders_customer_id_fkey'"));
        Assert.Equal("FOREIGN KEY|customer_id|1", _db.Query("""
            SELECT tc.constraint_type, k.column_name, k.position_in_unique_constraint
            FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name
            WHERE tc.table_name = 'orders' AND tc.constraint_type = 'FOREIGN KEY'
            """));
    }

    [Fact]
    public void NoActionIsCheckedAtTheEndOfTheStatement()
    {
        _db.Run("CREATE TABLE tree (id int PRIMARY KEY, parent int REFERENCES tree (id))");
        // Children before their parent in one statement, then the whole tree removed in one statement.
        Assert.Equal("INSERT 0 3", _db.Run("INSERT INTO tree VALUES (3, 2), (2, 1), (1, NULL)").CommandTag);
        Assert.Equal("23503", _db.Error("INSERT INTO tree VALUES (5, 99)").SqlState);
        Assert.Equal("23503", _db.Error("DELETE FROM tree WHERE id = 1").SqlState);
        Assert.Equal("DELETE 3", _db.Run("DELETE FROM tree").CommandTag);

        // RESTRICT stays immediate, as in PostgreSQL.
        _db.Run("CREATE TABLE strict (id int PRIMARY KEY, parent int REFERENCES strict (id) ON DELETE RESTRICT)");
        _db.Run("INSERT INTO strict VALUES (1, NULL), (2, 1)");
        Assert.Equal("23503", _db.Error("DELETE FROM strict").SqlState);
        Assert.Equal("2", _db.Query("SELECT count(*) FROM strict"));
    }
}
