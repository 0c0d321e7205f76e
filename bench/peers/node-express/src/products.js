// catalog's data: the same tables and queries as components/catalog/src/repository.rs, read
// with better-sqlite3 from a copy of a wasmart catalog database (bench/peers/run makes it).

import Database from 'better-sqlite3';

const PRODUCT_COLUMNS =
  'id, sku, name, description, category, price_amount, currency, stock, created_at, updated_at';

const ORDER_BY = {
  relevance: "(name LIKE @pattern ESCAPE '\\') DESC, name ASC",
  name: 'name ASC',
  price_asc: 'price_amount ASC, name ASC',
  price_desc: 'price_amount DESC, name ASC',
  newest: 'created_at DESC, name ASC',
};

/** RFC 3339 in UTC with milliseconds, trailing zeros dropped (as the `time` crate writes it). */
function rfc3339(unixMs) {
  return new Date(unixMs).toISOString().replace(/\.?0+Z$/, 'Z');
}

/** A product row as the API shows it. */
function product(row) {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    category: row.category,
    price: { amount: row.price_amount, currency: row.currency },
    stock: row.stock,
    image_url: `/api/v1/images/${row.id}.svg`,
    created_at: rfc3339(row.created_at),
    updated_at: rfc3339(row.updated_at),
  };
}

/** `%text%` for LIKE, with LIKE's own characters escaped. */
function likePattern(text) {
  return `%${text.replace(/\\/g, '\\\\').replace(/%/g, '\\%').replace(/_/g, '\\_')}%`;
}

/** The catalog database at `path`, read-only, with its statements prepared once each. */
export class Products {
  constructor(path) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
    this.statements = new Map();
    this.categoriesQuery = this.db.prepare(
      `SELECT c.slug, c.name, c.description, COUNT(p.id) AS product_count
       FROM categories c LEFT JOIN products p ON p.category = c.slug
       GROUP BY c.slug ORDER BY c.name`,
    );
    this.findQuery = this.db.prepare(`SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = ?`);
  }

  /** A statement for `sql`, prepared on first use (listings combine a few filters). */
  statement(sql) {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Every category with its product count. */
  categories() {
    return this.categoriesQuery.all();
  }

  /** One page of products matching `listing` (see listing.js). */
  list(listing) {
    const filters = [];
    const params = {};
    if (listing.text !== undefined) {
      params.pattern = likePattern(listing.text);
      filters.push("(name LIKE @pattern ESCAPE '\\' OR description LIKE @pattern ESCAPE '\\' OR sku LIKE @pattern ESCAPE '\\')");
    }
    if (listing.category !== undefined) {
      filters.push('category = @category');
      params.category = listing.category;
    }
    if (listing.minPrice !== undefined) {
      filters.push('price_amount >= @min_price');
      params.min_price = listing.minPrice;
    }
    if (listing.maxPrice !== undefined) {
      filters.push('price_amount <= @max_price');
      params.max_price = listing.maxPrice;
    }
    const where = filters.length > 0 ? `WHERE ${filters.join(' AND ')}` : '';
    const { n: total } = this.statement(`SELECT COUNT(*) AS n FROM products ${where}`).get(params);
    const sort = listing.sort === 'relevance' && listing.text === undefined ? 'name' : listing.sort;
    const rows = this.statement(
      `SELECT ${PRODUCT_COLUMNS} FROM products ${where} ORDER BY ${ORDER_BY[sort]} LIMIT @limit OFFSET @offset`,
    ).all({ ...params, limit: listing.pageSize, offset: (listing.page - 1) * listing.pageSize });
    return { items: rows.map(product), page: listing.page, page_size: listing.pageSize, total };
  }

  /** The product `id`, or `undefined`. */
  find(id) {
    const row = this.findQuery.get(id);
    return row && product(row);
  }
}
