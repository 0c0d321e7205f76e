import { Link } from 'react-router';
import type { Product } from '../api/types';
import { Money } from './ui';

export function ProductCard({ product }: { product: Product }) {
  return (
    <li className="card product-card" data-testid="product-card">
      <Link to={`/products/${product.id}`} className="product-link">
        <img src={product.image_url} alt="" width={240} height={180} loading="lazy" decoding="async" />
        <span className="product-name">{product.name}</span>
      </Link>
      <div className="product-meta">
        <Money value={product.price} />
        {product.stock <= 0 ? <span className="muted">Out of stock</span> : null}
      </div>
    </li>
  );
}
