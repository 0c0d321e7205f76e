import { NavLink, Outlet } from 'react-router';

export default function AdminLayout() {
  return (
    <div className="admin">
      <nav aria-label="Admin" className="admin-nav">
        <NavLink to="/admin" end className="tab">
          Products
        </NavLink>
        <NavLink to="/admin/dead-letters" className="tab">
          Dead letters
        </NavLink>
        <NavLink to="/admin/ops" className="tab">
          Ops dashboard
        </NavLink>
      </nav>
      <Outlet />
    </div>
  );
}
